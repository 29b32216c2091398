# Cityscapes train -> val cities, GA, then GA + CA (Hoffman et al. 2016)
_base_ = ['./cs_crosscity_vgg16_ga_then_ca.py']
