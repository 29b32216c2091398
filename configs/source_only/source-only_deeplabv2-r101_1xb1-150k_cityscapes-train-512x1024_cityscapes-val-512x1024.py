# Cityscapes train -> val cities, single-classifier DeepLab-v2 source model
_base_ = ['./cs_crosscity_deeplabv2_r101_noaux.py']
