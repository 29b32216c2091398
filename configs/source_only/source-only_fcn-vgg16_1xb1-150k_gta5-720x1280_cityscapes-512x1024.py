# GTA5 -> Cityscapes, source only (Hoffman et al. 2016)
_base_ = ['./gta2cs_vgg16.py']
