# DACS, GTA5 -> Cityscapes (Tranheden et al., WACV 2021, Table 1: 52.1 mIoU with DeepLab-v2
# ResNet-101), one GPU, batch 2 (source) + 2 (target), 512x512 crops:
#   python tools/train.py configs/dacs/gta2cs_deeplabv2_r101_1xb2.py
# The mixing, the strong augmentation and the mean teacher are those of DAFormer's
# mmseg/models/uda/dacs.py (DACS class; see DACS and EMATeacher in mmseg_uda), with
# ../_base_/adaptations/tranheden2021.py's values. Model: DeepLab-v2 ResNet-101 without the
# auxiliary head, initialised as AdaptSegNet's (ImageNet + COCO, as DACS); data: GTA5 at
# 1280x720 and Cityscapes at 1024x512, random 512x512 crops and flips (as DACS);
# optimisation: SGD lr 2.5e-4, momentum 0.9, weight decay 5e-4, heads at 10x, poly 0.9 decay.
# Differences from the published recipe: DACS trains 250k iterations, here the AdaptSegNet
# schedule's poly decay over 250k stopped at 150k (../_base_/schedules/adaptsegnet_150k.py);
# DACS uses Nesterov momentum (not here); our source crops re-draw crops holding more than 75 %
# of one class (DAFormer's, not DACS's); DAFormer draws the ClassMix classes from the whole
# batch's labels, DACS and this config from each image's own. The source and mixed losses take
# one backward (theirs two; the same gradient). Not trained here (no GPU, no GTA5/Cityscapes).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes_512x512.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
    '../_base_/adaptations/tranheden2021.py',
]
train_dataloader = dict(batch_size=2)
model = dict(
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(dacs={{_base_.dacs}}),
)
