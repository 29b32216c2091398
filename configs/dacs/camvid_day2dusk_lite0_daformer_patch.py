# DAFormer's training strategies + patch-level alignment, CamVid day -> dusk:
# ./camvid_day2dusk_lite0_daformer.py plus the patch alignment of
# configs/patch_align/camvid_day2dusk_lite0.py (K = 50, 32 px patches, λd 0.01, λadv 0.0005)
# and its modes file.
_base_ = ['./camvid_day2dusk_lite0_daformer.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(patch={{_base_.patch_camvid_lite0}}))
