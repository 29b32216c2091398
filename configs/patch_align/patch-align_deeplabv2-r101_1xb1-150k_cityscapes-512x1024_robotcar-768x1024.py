# Cityscapes -> Oxford RobotCar, patch alignment (Tsai et al. ICCV 2019)
_base_ = ['./cs2robotcar_1xb1.py']
