# CPU fine-tuning schedule of the ImageNet EfficientNet-Lite0 CamVid configs: the CPU schedule
# of ./demo_cpu.py (poly decay with power 0.9) over 1250 iterations, with the segmentor's SGD at
# lr 1e-3 for the backbone and 1e-2 (10x) for the neck and heads. A plain MMSeg schedule (the
# source-only config's); ../lite0_camvid_cpu.py adds the discriminators' optimizer (Adam 1e-4,
# (0.9, 0.99)) for the adaptation configs.
#
# Protocol: the first `uda_warmup_iters` (1000) iterations are source-only in every method (the
# configs' model.warmup_iters), then 250 iterations with adaptation. A method config trained
# alone does both; benchmarks/camvid_table.py --model lite0 trains the warm-up once per seed
# (the source-only config stopped at iteration 1000) and starts every method, the source-only
# row included, from that checkpoint for the last 250 iterations at the learning rates this
# schedule has there (mmseg_uda.utils.continuation_options).
# Cost (1 CPU thread, batch 8 + 8 at 184x240, see the README): about 1.0 s per source-only step
# and 1.8-2.4 s per adaptation step, i.e. per seed a shared warm-up (1000 steps) plus 250 steps
# of each of the six rows: about an hour of one core, evaluations included; 3 seeds in about
# 95 minutes as two single-threaded processes.
_base_ = ['./demo_cpu.py']
max_iters = 1250
uda_warmup_iters = 1000
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(custom_keys={'neck': dict(lr_mult=10.0), 'head': dict(lr_mult=10.0)}))
default_hooks = dict(checkpoint=dict(interval=max_iters))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
