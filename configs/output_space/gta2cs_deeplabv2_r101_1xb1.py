# Single-level output-space adaptation, GTA5 -> Cityscapes (AdaptSegNet, Tsai et al. CVPR 2018;
# "Ou" in Tsai et al. ICCV 2019: 41.4 mIoU), the reference recipe on one GPU, batch 1 + 1:
#   python tools/train.py configs/output_space/gta2cs_deeplabv2_r101_1xb1.py
# The DeepLab-v2 ResNet-101 of configs/_base_/models/deeplabv2_r101.py, one discriminator on the
# softmax of the final classifier upsampled to the input (align_corners=True, as the
# reference's nn.Upsample), λadv = 0.001. As in AdaptSegNet's single-level setting
# (--lambda-seg 0: the stage-3 classifier gets no loss), no auxiliary classifier. The
# four-branch ASPP variant: ./gta2cs_deeplabv2_r101_aspp4_1xb1.py; 4 GPUs: ./*_4xb1.py.
# Model, schedule and output-space adaptation: _base_/adaptations/tsai2018_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/tsai2018_deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
]
