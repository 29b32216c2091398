# Source-only baseline of GTA5 -> Cityscapes (Tsai et al. ICCV 2019, "no adaptation": 36.6
# mIoU): DeepLabV2 ResNet-101 trained on GTA5 at 1280x720 only (Cityscapes train images are not
# loaded), evaluated on Cityscapes val at 1024x512 with full-resolution labels. AdaptSegNet
# optimisation, 150k iterations, batch 1.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset={{_base_.source_train}},
)
