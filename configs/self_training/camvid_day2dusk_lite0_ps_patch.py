# Pseudo-label re-training + patch-level alignment, CamVid day -> dusk, from ImageNet (Tsai et
# al. ICCV 2019 Table 2 row Ps with patch alignment, 41.8 -> 44.2 on GTA5):
# ./camvid_day2dusk_lite0_ps.py plus the patch alignment of
# configs/patch_align/camvid_day2dusk_lite0.py (K = 50, 32 px patches, λd 0.01, λadv 0.0005;
# the other values PatchAlignment's defaults, as there) and its modes file.
_base_ = ['./camvid_day2dusk_lite0_ps.py']
model = dict(adaptations=dict(patch={{_base_.patch_camvid_lite0}}))
