# GTA5 -> Cityscapes, GA (Hoffman et al. 2016)
_base_ = ['./gta2cs_vgg16_ga.py']
