# Single-level output-space adaptation (AdaptSegNet, Tsai et al. CVPR 2018) on DeepLab-v2
# ResNet-101 as AdaptSegNet trains it: everything of configs/output_space/*_deeplabv2_r101_1xb1.py
# but the data. A config lists this file and a dataset config as its bases (and sets
# decode_head.num_classes where the dataset has other than 19 classes). The model of
# ../models/deeplabv2_r101.py without the auxiliary classifier (AdaptSegNet's single-level
# setting, --lambda-seg 0) and AdaptSegNet's discriminator and λadv (./tsai2018.py
# `ou_adaptsegnet`); the AdaptSegNet schedule of ../schedules/adaptsegnet_150k.py.
_base_ = [
    '../models/deeplabv2_r101.py',
    '../schedules/adaptsegnet_150k.py',
    '../default_runtime.py',
    './tsai2018.py',
]
model = dict(
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(output={{_base_.ou_adaptsegnet}}),
)
