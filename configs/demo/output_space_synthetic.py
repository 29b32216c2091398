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
            # The head's own resolution (24x12 here) with a 3-layer discriminator: on this small
            # model the full-resolution AdaptSegNet discriminator makes each adaptation step
            # ~4.4x the source-only step, this one ~1.5x (benchmarks/bench_train_step.py).
            disc_input_size='logits',
            discriminator=dict(type='ConvDiscriminator', channels=(64, 128)),
        )),
)
