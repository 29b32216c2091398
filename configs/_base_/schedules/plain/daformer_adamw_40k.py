# DAFormer's optimisation (Hoyer et al., CVPR 2022; its configs/_base_/schedules/adamw.py and
# poly10warm.py): AdamW lr 6e-5, betas (0.9, 0.999), weight decay 0.01, the heads at 10x and no
# weight decay on norms and positional blocks, 40k iterations; a linear learning-rate warm-up
# over the first 1500 iterations from 1e-6 of the rate, multiplied onto a linear (power 1) decay
# over all 40k, which is MMCV 1.x's `warmup='linear'` with `policy='poly'` (both schedulers act
# at once: mmengine composes them). The loops and hooks of ./adaptsegnet_150k.py. A plain MMSeg
# schedule; ../daformer_adamw_40k.py adds the discriminators' optimizer.
_base_ = ['./adaptsegnet_150k.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={
        'head': dict(lr_mult=10.0),
        'pos_block': dict(decay_mult=0.0),
        'norm': dict(decay_mult=0.0)
    }))
max_iters = 40000
poly_iters = max_iters  # DAFormer's decay ends with training; AdaptSegNet's goes on past its stop
lr_warmup_iters = 1500
# LinearLR reaches its end factor at `end - 1`; MMCV's warm-up reaches the full rate at
# iteration 1500, hence end = 1501 (MMSeg's SegFormer configs, end = 1500, are 0.07 % higher
# during the warm-up).
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=lr_warmup_iters + 1),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=0, end=poly_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000, max_keep_ckpts=1))
