# Output-space adaptation (AdaptSegNet, single level) on the built-in synthetic data, same model,
# schedule and number of iterations as source_only_synthetic.py.
_base_ = [
    '../_base_/models/resnet18_tiny_deeplabv2.py',
    '../_base_/datasets/synthetic_uda.py',
    '../_base_/schedules/demo_cpu.py',
    '../_base_/default_runtime.py',
]
model = dict(
    warmup_iters=200,
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', ),
            loss_weights=(0.001, ),
            gan_type='bce',
            disc_input_size='input',
        )),
)
