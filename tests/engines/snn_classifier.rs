//! The classifier: a ReLU network trained on the bundled 8x8
//! digits, converted to few-spike and run batched, classifies the test set
//! within one point of the ANN on both engines.

#[path = "../../examples/snn_classifier/ann.rs"]
pub(crate) mod ann;

use crate::common::{backends, tests};
use cajal::convert::{few_spike, Alpha, Layer};

tests! {
    both: [
        the_snn_classifies_the_digits_within_one_point_of_the_ann,
    ],
}

fn the_snn_classifies_the_digits_within_one_point_of_the_ann() {
    let digits = ann::load_digits().unwrap();
    assert_eq!(digits.len(), 1797);
    let (train, test) = ann::split(&digits, 0.2, 42);
    let mlp = ann::Mlp::train(&train, 64, 80, 42);
    let ann_acc = ann::accuracy(mlp.forward(test.x.view()).view(), &test.y);
    // A real classifier, not chance (10 %).
    assert!(ann_acc > 0.93, "ANN accuracy {ann_acc}");
    let layers = [
        Layer::dense(mlp.w1.clone(), mlp.b1.clone()),
        Layer::dense(mlp.w2.clone(), mlp.b2.clone()),
    ];
    let snn = few_spike(&layers, 10, Alpha::Data(train.x.view())).unwrap();
    for backend in backends() {
        let mut sim = snn.compile_batched(backend, 64).unwrap();
        let out = snn.predict(&mut sim, test.x.view()).unwrap();
        assert_eq!(out.dim(), (test.len(), 10));
        let acc = ann::accuracy(out.view(), &test.y);
        eprintln!("{backend:?}: ANN {ann_acc:.4}, SNN {acc:.4}");
        assert!(
            (acc - ann_acc).abs() <= 0.01,
            "{backend:?}: SNN {acc} vs ANN {ann_acc}"
        );
        // The SNN's logits track the ANN's (k = 10 quantisation).
        let logits = mlp.forward(test.x.view());
        let worst = out
            .iter()
            .zip(logits.iter())
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        let spread = logits.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(
            worst < 0.05 * spread,
            "{backend:?}: logits differ by {worst} (scale {spread})"
        );
    }
}
