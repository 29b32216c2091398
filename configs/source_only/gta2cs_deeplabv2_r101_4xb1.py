# Source-only baseline of GTA5 -> Cityscapes on 4 GPUs with batch 1 each (not the paper's
# recipe, which is ./gta2cs_deeplabv2_r101_1xb1.py on one GPU):
#   bash tools/dist_train.sh configs/source_only/gta2cs_deeplabv2_r101_4xb1.py 4
# The 1xb1 recipe scaled by the rule of configs/patch_align/gta2cs_4xb1.py (docs/reproduction.md):
# a quarter of the iterations (stop at 37.5k of a 62.5k poly decay), 4x the learning rate.
_base_ = ['./gta2cs_deeplabv2_r101_1xb1.py']
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, end=62500, by_epoch=False)]
train_cfg = dict(max_iters=37500, val_interval=1250)
default_hooks = dict(checkpoint=dict(interval=1250))
