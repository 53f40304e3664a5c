//! The spike delivery strategies: what each says of itself, and what
//! `SpikeStrategy` picks with them. Host only: no device needed.

use crate::common::tests;
use cajal::engine::gpu::codegen::{
    procedural_strategy, stored_strategy, DeliveryStrategy, Rows, StoredDelivery, ThreadPerChunk,
    ThreadPerSpike, WorkgroupPerSpike, LONG_ROW, STORED_ORDER,
};
use cajal::engine::gpu::{plan_with_strategy, spike_groups};
use cajal::SpikeStrategy;

tests! {
    cpu: [
        workgroup_per_spike_fits_long_stored_rows,
        thread_per_spike_fits_any_stored_rows,
        thread_per_chunk_fits_drawn_rows_only,
        every_strategy_asks_for_the_workgroups_the_engine_dispatches,
        auto_takes_a_workgroup_for_long_rows_and_a_thread_for_short_ones,
        an_explicit_choice_is_taken_whatever_the_rows,
        drawn_rows_take_a_thread_per_chunk,
        plans_name_the_strategy_auto_picked,
        procedural_deliveries_ignore_the_choice,
    ],
}

/// Stored rows whose mean length is `mean`.
fn stored(mean: f64) -> Rows {
    Rows::Stored { mean_len: mean }
}

const PROCEDURAL: Rows = Rows::Procedural { chunks: 7 };

fn workgroup_per_spike_fits_long_stored_rows() {
    let s = WorkgroupPerSpike;
    assert!(s.fits(&stored(LONG_ROW)));
    assert!(s.fits(&stored(1000.0)));
    assert!(!s.fits(&stored(LONG_ROW - 0.01)));
    assert!(!s.fits(&stored(0.0)));
    assert!(!s.fits(&PROCEDURAL));
    assert_eq!(s.threads_per_spike(&stored(100.0)), 64);
    assert_eq!(s.name(), "workgroup per spike");
    // The threads share a spike's row: a workgroup takes a spike, each of
    // its threads every 64th position.
    let w = s.strides();
    assert_eq!((w.first_spike, w.spike_step), ("cj_k0", "cj_sub"));
    assert_eq!((w.first_synapse, w.synapse_step), ("csr[row] + lid", "64u"));
}

fn thread_per_spike_fits_any_stored_rows() {
    let s = ThreadPerSpike;
    for mean in [0.0, 1.0, LONG_ROW - 0.01, LONG_ROW, 1000.0] {
        assert!(s.fits(&stored(mean)), "{mean}");
    }
    assert!(!s.fits(&PROCEDURAL));
    assert_eq!(s.threads_per_spike(&stored(3.0)), 1);
    assert_eq!(s.name(), "thread per spike");
    // A thread takes a spike and walks its row alone.
    let w = s.strides();
    assert_eq!((w.first_synapse, w.synapse_step), ("csr[row]", "1u"));
}

fn thread_per_chunk_fits_drawn_rows_only() {
    let s = ThreadPerChunk;
    assert!(s.fits(&PROCEDURAL));
    assert!(!s.fits(&stored(100.0)));
    assert_eq!(s.threads_per_spike(&PROCEDURAL), 7);
    assert_eq!(s.name(), "thread per chunk");
}

fn every_strategy_asks_for_the_workgroups_the_engine_dispatches() {
    let all: [&dyn DeliveryStrategy; 3] = [&WorkgroupPerSpike, &ThreadPerSpike, &ThreadPerChunk];
    for s in all {
        for n in [0, 1, 63, 64, 1000, 1024, 1025, 1_000_000] {
            assert_eq!(s.workgroups(n), spike_groups(n), "{} {n}", s.name());
        }
    }
}

fn auto_takes_a_workgroup_for_long_rows_and_a_thread_for_short_ones() {
    let pick = |rows: Rows| stored_strategy(SpikeStrategy::Auto, &rows).name();
    assert_eq!(pick(Rows::stored(80 * 100, 100)), WorkgroupPerSpike.name());
    assert_eq!(pick(Rows::stored(16 * 100, 100)), WorkgroupPerSpike.name());
    assert_eq!(pick(Rows::stored(15 * 100, 100)), ThreadPerSpike.name());
    assert_eq!(pick(Rows::stored(0, 0)), ThreadPerSpike.name());
    // Auto's order: the first that fits.
    assert_eq!(STORED_ORDER[0].name(), WorkgroupPerSpike.name());
    let last = STORED_ORDER[STORED_ORDER.len() - 1];
    assert!(last.fits(&stored(0.0)), "the last fits any stored rows");
}

fn an_explicit_choice_is_taken_whatever_the_rows() {
    for rows in [stored(2.0), stored(200.0)] {
        let w = stored_strategy(SpikeStrategy::WorkgroupPerSpike, &rows);
        let t = stored_strategy(SpikeStrategy::ThreadPerSpike, &rows);
        assert_eq!(w.name(), WorkgroupPerSpike.name());
        assert_eq!(t.name(), ThreadPerSpike.name());
    }
}

fn drawn_rows_take_a_thread_per_chunk() {
    assert_eq!(
        procedural_strategy(&PROCEDURAL).name(),
        ThreadPerChunk.name()
    );
}

/// The strategy each stored delivery of `net` got, from its kernel's name.
fn picked(net: &cajal::network::Network, s: SpikeStrategy) -> Vec<String> {
    let plan = plan_with_strategy(net, true, None, s).unwrap();
    plan.projs
        .iter()
        .filter_map(|p| {
            let name = &p.kernel.name;
            name.starts_with("spike_propagate[").then(|| {
                name.rsplit(", ")
                    .next()
                    .unwrap()
                    .trim_end_matches(']')
                    .to_string()
            })
        })
        .collect()
}

fn plans_name_the_strategy_auto_picked() {
    // Mean in-degree (and so out-degree) 200: long rows.
    let (long, _, _) = cajal::networks::coba_with(1000, 200, false, 1).unwrap();
    assert_eq!(
        picked(&long, SpikeStrategy::Auto),
        ["workgroup per spike"; 4]
    );
    // 5: short rows.
    let (short, _, _) = cajal::networks::coba_with(1000, 5, false, 1).unwrap();
    assert_eq!(picked(&short, SpikeStrategy::Auto), ["thread per spike"; 4]);
    assert_eq!(
        picked(&short, SpikeStrategy::WorkgroupPerSpike),
        ["workgroup per spike"; 4]
    );
    assert_eq!(
        picked(&long, SpikeStrategy::ThreadPerSpike),
        ["thread per spike"; 4]
    );
}

fn procedural_deliveries_ignore_the_choice() {
    let (net, _, _) = cajal::networks::coba_with(1000, 50, true, 1).unwrap();
    let sources = |s| {
        plan_with_strategy(&net, true, None, s)
            .unwrap()
            .projs
            .iter()
            .map(|p| p.kernel.source.clone())
            .collect::<Vec<_>>()
    };
    let auto = sources(SpikeStrategy::Auto);
    assert_eq!(sources(SpikeStrategy::ThreadPerSpike), auto);
    assert_eq!(sources(SpikeStrategy::WorkgroupPerSpike), auto);
    // A thread per (spike, chunk): as many items a spike as chunks.
    let first = net.proj(net.projections()[0]).unwrap();
    let gen = first.procedural.as_ref().unwrap();
    let chunks = ThreadPerChunk.threads_per_spike(&Rows::procedural(gen));
    assert!(auto[0].contains(&format!("let total = pre_count[slot] * {chunks}u;")));
}
