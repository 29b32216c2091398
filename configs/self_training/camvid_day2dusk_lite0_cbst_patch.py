# CBST + patch-level alignment, CamVid day -> dusk, from ImageNet (Tsai et al. ICCV 2019 Table 2
# row Ps with patch alignment, there with Hung et al.'s Ps): ./camvid_day2dusk_lite0_cbst.py
# (same pseudo labels and checkpoint) plus the patch alignment of
# ./camvid_day2dusk_lite0_ps_patch.py, from the first iteration of the round.
_base_ = ['./camvid_day2dusk_lite0_cbst.py']
model = dict(adaptations=dict(patch={{_base_.patch_camvid_lite0}}))
