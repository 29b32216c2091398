# Optimisation of AdaptSegNet's train_gta2cityscapes_multi.py, which Tsai et al. (ICCV 2019)
# follow: segmentor SGD lr 2.5e-4, momentum 0.9, weight decay 5e-4, every parameter whose name
# contains 'head' at 10x (the classifiers, as AdaptSegNet's get_10x_lr_params, and the
# patch-cluster head H of patch alignment, also a newly initialised layer; the papers do not
# say), a poly decay (power 0.9) over AdaptSegNet's NUM_STEPS = 250k iterations, and training
# stops at its NUM_STEPS_STOP = 150k ("early stopping"), where the learning rate is still
# (1 - 150/250) ** 0.9 = 0.44x the base rate. The papers train on one GPU with batch 1 (source)
# + 1 (target): this schedule is for that setting (the *_1xb1 configs); the *_4xb1 configs scale
# it. A plain MMSeg schedule (the source-only configs'); ../adaptsegnet_150k.py adds the
# discriminators' optimizer for the adaptation configs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}),
)
max_iters = 150000
poly_iters = 250000
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=poly_iters, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # num_classes vs the datasets' classes, label checks bound (mmseg_uda/engine/data_checks.py)
    data_checks=dict(type='DataChecksHook'),
)
