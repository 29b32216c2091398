# Fusion + patch-level alignment (Tsai et al. ICCV 2019 Table 2 row Fusion with patch alignment:
# 44.5 -> 46.5 on GTA5 -> Cityscapes), CamVid day -> dusk, from ImageNet:
# ./camvid_day2dusk_lite0_fusion.py plus the patch alignment of
# configs/patch_align/camvid_day2dusk_lite0.py (K = 50, 32 px patches, λd 0.01, λadv 0.0005) and
# its modes file; the patch clustering Ld and its discriminator's source side see the FDA frames.
_base_ = ['./camvid_day2dusk_lite0_fusion.py']
model = dict(adaptations=dict(patch={{_base_.patch_camvid_lite0}}))
