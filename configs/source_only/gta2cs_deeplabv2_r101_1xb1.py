# Source-only baseline of GTA5 -> Cityscapes (Tsai et al. ICCV 2019 and AdaptSegNet, "no
# adaptation" / "without adaptation": 36.6 mIoU), one GPU, batch 1:
#   python tools/train.py configs/source_only/gta2cs_deeplabv2_r101_1xb1.py
# The DeepLab-v2 ResNet-101 of configs/_base_/models/deeplabv2_r101.py (with its stage-3
# auxiliary classifier, loss weight 0.1, as in AdaptSegNet's multi-level script) trained on GTA5
# at 1280x720 only (Cityscapes train images are not loaded), evaluated on Cityscapes val at
# 1024x512 with full-resolution labels. AdaptSegNet optimisation (poly over 250k, stopped at
# 150k). 4 GPUs: ./gta2cs_deeplabv2_r101_4xb1.py.
_base_ = [
    '../_base_/models/plain/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
    '../_base_/schedules/plain/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
# the dataset base's loader on its source set alone (no target set, no warm-up batch sampler)
train_dataloader = dict(_base_.train_dataloader, _delete_=True, dataset=_base_.source_train)
del train_dataloader['batch_sampler']
model_wrapper_cfg = None  # MMEngine's DDP wrapper, as in MMSeg (default_runtime's is UDA's)
