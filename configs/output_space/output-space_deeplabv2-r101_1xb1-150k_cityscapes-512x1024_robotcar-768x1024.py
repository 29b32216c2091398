# Cityscapes -> Oxford RobotCar, Ou (Tsai et al. ICCV 2019)
_base_ = ['./cs2robotcar_deeplabv2_r101_1xb1.py']
