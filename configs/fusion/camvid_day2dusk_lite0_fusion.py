# Fusion "Ou + Pi + Ps" (Tsai et al. ICCV 2019 Table 2 row Fusion: 44.5 on GTA5 -> Cityscapes),
# CamVid day -> dusk, from ImageNet: ./camvid_day2dusk_lite0_pi_ou.py (output space on the FDA
# day frames) plus the adversarial self-training of
# configs/self_training/camvid_day2dusk_lite0_ps.py (its D sees the one-hot day labels against
# the predictions; self-training from iteration 1100). Both discriminators are trained by the one
# "discriminator" optimizer. With patch alignment: ./camvid_day2dusk_lite0_fusion_patch.py.
_base_ = ['./camvid_day2dusk_lite0_pi_ou.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(ps={{_base_.ps_hung_camvid}}))
