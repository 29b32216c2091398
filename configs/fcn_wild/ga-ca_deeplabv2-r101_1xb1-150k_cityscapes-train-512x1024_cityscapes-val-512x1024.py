# Cityscapes train -> val cities, GA + CA on DeepLab-v2 (not in the paper)
_base_ = ['./cs_crosscity_deeplabv2_r101_ga_ca.py']
