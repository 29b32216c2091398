# GTA5 -> Cityscapes, without adaptation, torchvision ImageNet ResNet-101 (not a paper recipe)
_base_ = ['./gta2cs_deeplabv2_r101_torchvision_1xb1.py']
