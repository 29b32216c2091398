# CPU fine-tuning schedule of the ImageNet EfficientNet-Lite0 CamVid configs: the CPU schedule
# of ./demo_cpu.py (600 iterations, poly decay with power 0.9, discriminators Adam 1e-4
# (0.9, 0.99)) with the segmentor's SGD at lr 1e-3 for the backbone and 1e-2 (10x) for the heads.
#
# Protocol: the first `uda_warmup_iters` iterations are source-only in every method (the
# configs' model.warmup_iters), then 250 adaptation iterations. The checkpoint after the warm-up
# is kept, so the source-only run's iter_350.pth is the warm-up every method of a seed shares.
# Cost (1 CPU thread, batch 8 + 8 at 184x240, output stride 16, see the README): about 1.4 s of
# CPU per source-only step and 2.2-2.8 s per adaptation step, i.e. per seed a shared warm-up
# (350 steps) plus the six methods' 250 steps each: ~65 core-minutes; 3 seeds in ~2 hours on
# 2 cores, evaluations included.
_base_ = ['./demo_cpu.py']
uda_warmup_iters = 350
optim_wrapper = dict(
    segmentor=dict(
        optimizer=dict(lr=1e-3),
        paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}),
    ))
default_hooks = dict(checkpoint=dict(interval=uda_warmup_iters, max_keep_ckpts=2))
