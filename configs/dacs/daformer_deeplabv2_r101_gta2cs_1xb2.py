# DAFormer's training strategies on DeepLab-v2 ResNet-101, GTA5 -> Cityscapes, one GPU, batch
# 2 + 2, 512x512 crops, 40k iterations. Target: DAFormer (Hoyer et al., CVPR 2022) Table 5, its
# DeepLabV2 row (experiments.py id 5, `('dlv2red', 'r101v1c', 'dacs_a999_fdthings', 0.01,
# True)`); the figure is in the paper's table, not quoted here. The strategies and schedule of
# ./daformer_segformer_mit-b5_gta2cs_1xb2.py on this package's DeepLab-v2 R101.
# Differences beyond that config's: DAFormer's DeepLabV2 is MMSeg's ResNet-101 V1c from ImageNet
# with trained BatchNorm and a two-branch ASPP head; this one is AdaptSegNet's (Caffe-style
# ResNet-101 from ImageNet + COCO, frozen BatchNorm affine, ASPP dilations 6 + 12, no auxiliary
# head here), as the other DeepLab-v2 configs. Not trained here.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes_512x512.py',
    '../_base_/schedules/daformer_adamw_40k.py',
    '../_base_/default_runtime.py',
    '../_base_/adaptations/tranheden2021.py',
]
train_dataloader = dict(batch_size=2, dataset=dict(rare_class_sampling={{_base_.rcs_gta}}))
model = dict(
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(dacs={{_base_.dacs_daformer}}, fd={{_base_.fd_things}}),
)
