//! Adapters and devices: which GPU runs a network.

use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};

/// One adapter wgpu can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The adapter's name (e.g. "NVIDIA H100", "llvmpipe (LLVM 15.0.6, 256 bits)").
    pub name: String,
    /// Graphics API wgpu drives it through (Vulkan, Metal, Dx12, Gl).
    pub backend: String,
    /// Discrete, integrated, virtual, CPU (software) or other.
    pub device_type: String,
    /// Driver name and version.
    pub driver: String,
    /// Whether it adds floats atomically (`SHADER_FLOAT32_ATOMIC`); without
    /// it spike delivery uses a compare-exchange loop.
    pub float_atomics: bool,
    /// Whether it computes in f64 with the 64-bit integers cajal's f64
    /// functions take apart (SHADER_F64 and SHADER_INT64): an f64
    /// network runs on it.
    pub f64: bool,
    /// Largest storage buffer one binding may cover, in bytes.
    pub max_storage_binding: u64,
    /// Largest buffer, in bytes.
    pub max_buffer: u64,
    /// Storage buffers one kernel may bind.
    pub max_storage_buffers: u32,
}

/// Options of the GPU engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuOptions {
    /// Picks the first adapter whose name contains this text (any case);
    /// `None` reads `CAJAL_ADAPTER`, and without it takes the best adapter.
    pub adapter: Option<String>,
    /// Use float atomics where the adapter has them; `false` forces the
    /// compare-exchange fallback (for tests and for comparison).
    pub float_atomics: bool,
    /// Deliver spiking projections together (plastic ones too), sum rate-coded
    /// projections together, and clear and update populations together
    /// (merged kernels, as many a dispatch as the device's bindings
    /// allow; `false`: one dispatch each, for comparison).
    pub merge: bool,
    /// How spiking projections spread a step's spikes over threads.
    pub spike_strategy: SpikeStrategy,
    /// Ordered accumulation: every sum a step adds into (spike deliveries,
    /// stored, procedural or convolutional) is added in a fixed order, the
    /// CPU engine's, so that two runs on the same adapter give the same
    /// bits (and the CPU engine's bits, where the model reads none of the
    /// GPU's own `log`, `cos`...: a Gaussian draw does). Default `false`:
    /// float atomics (or a compare-exchange loop) add a step's spikes in
    /// whatever order the threads arrive, which differs from run to run
    /// in the last bits. A stored spiking projection is then delivered by
    /// a thread per post-synaptic neuron that walks its incoming synapses
    /// (`spike_gather`) and tests each pre-synaptic neuron's bit in a ring
    /// of spike bitmasks, a procedural one by a thread per chunk of post
    /// neurons (`spike_procedural_ordered`), a convolution by a thread per
    /// post neuron (`spike_convolve_gather`): work proportional to the
    /// synapses every step rather than to the spikes, slower or faster
    /// depending on the network (BENCHMARKS.md, "Deterministic GPU runs";
    /// DECISIONS.md, same title). `spike_strategy` is then unused.
    pub deterministic: bool,
    /// Without an adapter named (here or in `CAJAL_ADAPTER`): take the
    /// adapter at this place (modulo their number) among those of the best
    /// kind, rather than the first. A distributed run's ranks on one
    /// machine set it to their place among its ranks, so that each takes
    /// its own GPU. `None`: the first.
    pub ordinal: Option<usize>,
}

/// How `spike_propagate` spreads the spikes of a step over threads: the
/// choice among the delivery strategies for stored rows
/// ([`codegen::stored_strategy`](super::codegen::stored_strategy)).
/// Procedural projections have a strategy of their own, whatever this
/// says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SpikeStrategy {
    /// Per projection, the first strategy of
    /// [`codegen::STORED_ORDER`](super::codegen::STORED_ORDER) that fits:
    /// a workgroup per spike when its rows (per delay) hold at least 16
    /// synapses on average, a thread per spike otherwise.
    #[default]
    Auto,
    /// A workgroup per spike; its 64 threads share the spike's row
    /// ([`codegen::WorkgroupPerSpike`](super::codegen::WorkgroupPerSpike)).
    WorkgroupPerSpike,
    /// A thread per spike, walking the spike's row alone
    /// ([`codegen::ThreadPerSpike`](super::codegen::ThreadPerSpike)).
    ThreadPerSpike,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            adapter: None,
            float_atomics: true,
            merge: true,
            spike_strategy: SpikeStrategy::Auto,
            deterministic: false,
            ordinal: None,
        }
    }
}

/// A device ready for kernels.
#[derive(Clone)]
pub struct Gpu {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// What it is.
    pub info: DeviceInfo,
    /// Its limits (the adapter's own, all requested).
    pub limits: wgpu::Limits,
}

fn instance() -> &'static wgpu::Instance {
    static INSTANCE: OnceLock<wgpu::Instance> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        quiet_device_select();
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::PRIMARY;
        wgpu::Instance::new(desc)
    })
}

/// Turns off Mesa's Vulkan device-select layer, unless the user speaks to
/// it (`MESA_VK_DEVICE_SELECT`, `NODEVICE_SELECT`). The layer reorders
/// adapters to put the display's first, and to find the display it
/// connects to Wayland, which without one prints "error: XDG_RUNTIME_DIR is
/// invalid or not set in the environment." on every enumeration: the first
/// line a user saw on a headless machine. cajal ranks the adapters itself
/// ([`devices`]) and draws nothing on a display, so the layer has nothing to
/// do here; Vulkan's own errors and the drivers' still reach stderr.
fn quiet_device_select() {
    if !cfg!(all(
        unix,
        not(target_os = "macos"),
        not(target_os = "android")
    )) {
        return;
    }
    let set = |k: &str| std::env::var_os(k).is_some();
    if !set("MESA_VK_DEVICE_SELECT") && !set("NODEVICE_SELECT") {
        // Written once, before the first Vulkan call (the loader reads it
        // when the instance is created); cajal reads the environment only
        // through std, which locks it.
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}

/// Whether the adapter named `name` is the one `wanted` (a part of its
/// name, any case) names, as `CAJAL_ADAPTER` and [`GpuOptions::adapter`]
/// name one. "lavapipe", Mesa's name for its software Vulkan driver, also
/// names its adapter, which calls itself "llvmpipe (LLVM ...)".
///
/// ```
/// use cajal::engine::gpu::context::adapter_matches;
/// let lavapipe = "llvmpipe (LLVM 15.0.6, 256 bits)";
/// assert!(adapter_matches(lavapipe, "LLVMpipe"));
/// assert!(adapter_matches(lavapipe, "lavapipe"));
/// assert!(!adapter_matches("NVIDIA H100", "lavapipe"));
/// ```
pub fn adapter_matches(name: &str, wanted: &str) -> bool {
    let (name, wanted) = (name.to_lowercase(), wanted.to_lowercase());
    name.contains(&wanted) || (wanted == "lavapipe" && name.contains("llvmpipe"))
}

/// `DeviceInfo::device_type` of a software renderer (lavapipe, WARP).
pub const SOFTWARE: &str = "CPU (software)";

impl DeviceInfo {
    /// The loop iterations after which this adapter ends a shader
    /// invocation's loops, if it does: lavapipe's
    /// ([`LAVAPIPE_LOOP_LIMIT`](super::LAVAPIPE_LOOP_LIMIT)).
    pub fn loop_limit(&self) -> Option<u64> {
        adapter_matches(&self.name, "lavapipe").then_some(super::LAVAPIPE_LOOP_LIMIT)
    }
}

fn info_of(a: &wgpu::Adapter) -> DeviceInfo {
    let i = a.get_info();
    let l = a.limits();
    DeviceInfo {
        name: i.name.clone(),
        backend: format!("{:?}", i.backend),
        device_type: match i.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete GPU",
            wgpu::DeviceType::IntegratedGpu => "integrated GPU",
            wgpu::DeviceType::VirtualGpu => "virtual GPU",
            wgpu::DeviceType::Cpu => SOFTWARE,
            wgpu::DeviceType::Other => "other",
        }
        .to_string(),
        driver: format!("{} {}", i.driver, i.driver_info).trim().to_string(),
        float_atomics: a.features().contains(wgpu::Features::SHADER_FLOAT32_ATOMIC),
        f64: a.features().contains(F64_FEATURES),
        max_storage_binding: l.max_storage_buffer_binding_size,
        max_buffer: l.max_buffer_size,
        max_storage_buffers: l.max_storage_buffers_per_shader_stage,
    }
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

fn adapters() -> Vec<wgpu::Adapter> {
    let mut v = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY));
    // Best first; a stable sort keeps the driver's order among equals.
    v.sort_by_key(|a| rank(a.get_info().device_type));
    v
}

/// The adapter [`Backend::Auto`](crate::engine::Backend::Auto) passes
/// over for the CPU engine: the first adapter when it is a software
/// renderer (lavapipe, WARP: many times slower than the CPU engine on the
/// same cores) and `CAJAL_ADAPTER` names none.
///
/// ```no_run
/// if let Some(d) = cajal::engine::gpu::context::auto_passes_over() {
///     println!("auto runs the CPU engine rather than {}", d.name);
/// }
/// ```
pub fn auto_passes_over() -> Option<DeviceInfo> {
    let named = std::env::var("CAJAL_ADAPTER").is_ok_and(|s| !s.is_empty());
    if named {
        return None;
    }
    devices()
        .into_iter()
        .next()
        .filter(|d| d.device_type == SOFTWARE)
}

/// The adapters cajal can run on, best first (the first is the one
/// `Backend::Gpu` takes unless `CAJAL_ADAPTER` names another).
///
/// ```no_run
/// for d in cajal::engine::gpu::devices() {
///     println!("{} ({}, {})", d.name, d.backend, d.device_type);
/// }
/// ```
pub fn devices() -> Vec<DeviceInfo> {
    adapters().iter().map(info_of).collect()
}

const HOW_TO_GET_ONE: &str = "install a Vulkan driver (on Linux without a GPU, Mesa's lavapipe: \
     `apt-get install mesa-vulkan-drivers`), or use Backend::Cpu or Backend::Auto";

/// What an f64 network's kernels need of the adapter.
const F64_FEATURES: wgpu::Features = wgpu::Features::SHADER_F64.union(wgpu::Features::SHADER_INT64);

/// A device for a network in `dtype`: [`gpu`]'s, refused where an f64
/// network's kernels cannot run on its adapter.
pub fn gpu_for(opts: &GpuOptions, dtype: crate::real::Dtype) -> Result<Gpu> {
    let g = gpu(opts)?;
    if dtype == crate::real::Dtype::F64 && !g.info.f64 {
        return Err(Error::Unsupported {
            owner: format!("adapter '{}'", g.info.name),
            message: "a network in double precision needs 64-bit floats and integers in \
                      shaders (wgpu's SHADER_F64 and SHADER_INT64), which this adapter lacks: \
                      run it on the CPU engine (Backend::Cpu) or in f32"
                .into(),
        });
    }
    Ok(g)
}

type DeviceCache = Mutex<Vec<((String, usize), bool, Gpu)>>;

/// A device on the chosen adapter, created once per process and adapter
/// (wgpu lets an adapter create one device) and shared by simulations.
pub fn gpu(opts: &GpuOptions) -> Result<Gpu> {
    static CACHE: OnceLock<DeviceCache> = OnceLock::new();
    let wanted = opts
        .adapter
        .clone()
        .or_else(|| std::env::var("CAJAL_ADAPTER").ok())
        .filter(|s| !s.is_empty());
    let mut all = adapters();
    let infos: Vec<wgpu::AdapterInfo> = all.iter().map(|a| a.get_info()).collect();
    let at = match &wanted {
        Some(w) => infos
            .iter()
            .position(|i| adapter_matches(&i.name, w))
            .ok_or_else(|| Error::NoAdapter {
                message: format!(
                    "no adapter's name contains '{w}' (adapters: {})",
                    infos
                        .iter()
                        .map(|i| i.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?,
        None => {
            let best = infos.first().map(|i| i.device_type);
            let same: Vec<usize> = (0..infos.len())
                .filter(|&i| Some(infos[i].device_type) == best)
                .collect();
            if same.is_empty() {
                return Err(Error::NoAdapter {
                    message: format!("wgpu found none; {HOW_TO_GET_ONE}"),
                });
            }
            same[opts.ordinal.unwrap_or(0) % same.len()]
        }
    };
    // Adapters of one name (a machine's identical GPUs) are told apart by
    // their place among those of that name.
    let nth = infos[..at]
        .iter()
        .filter(|i| i.name == infos[at].name)
        .count();
    let adapter = all.swap_remove(at);
    let info = info_of(&adapter);
    let atomics = opts.float_atomics && info.float_atomics;
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, g)) = cache
        .iter()
        .find(|(n, a, _)| *n == (info.name.clone(), nth) && *a == atomics)
    {
        return Ok(g.clone());
    }
    // A cached device of the other atomics flavour owns this adapter
    // object: ask for a fresh adapter of the same name.
    let adapter = if cache.iter().any(|(n, _, _)| *n == (info.name.clone(), nth)) {
        adapters()
            .into_iter()
            .filter(|a| a.get_info().name == info.name)
            .nth(nth)
            .ok_or_else(|| Error::NoAdapter {
                message: format!("adapter '{}' disappeared", info.name),
            })?
    } else {
        adapter
    };
    let limits = adapter.limits();
    let mut features = if atomics {
        wgpu::Features::SHADER_FLOAT32_ATOMIC
    } else {
        wgpu::Features::empty()
    };
    // Asked for wherever the adapter has them, so that one device per
    // adapter serves networks of either precision.
    if info.f64 {
        features |= F64_FEATURES;
    }
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("cajal"),
        required_features: features,
        required_limits: limits.clone(),
        ..Default::default()
    }))
    .map_err(|e| Error::Gpu {
        context: format!("creating a device on '{}'", info.name),
        message: e.to_string(),
    })?;
    // Errors are caught in error scopes around every operation; anything
    // that escapes them is reported instead of aborting the process.
    device.on_uncaptured_error(Arc::new(|e| eprintln!("cajal: uncaptured GPU error: {e}")));
    let mut info = info;
    info.float_atomics = atomics;
    let g = Gpu {
        device,
        queue,
        info,
        limits,
    };
    cache.push(((g.info.name.clone(), nth), atomics, g.clone()));
    Ok(g)
}

impl Gpu {
    /// Runs `f` inside a validation and out-of-memory error scope; a
    /// captured error becomes [`Error::Gpu`] naming `context`.
    pub fn checked<T>(&self, context: &str, f: impl FnOnce() -> T) -> Result<T> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let e1 = pollster::block_on(val.pop());
        let e2 = pollster::block_on(oom.pop());
        match e1.or(e2) {
            None => Ok(out),
            Some(e) => Err(Error::Gpu {
                context: context.to_string(),
                message: e.to_string(),
            }),
        }
    }
}
