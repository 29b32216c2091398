# Pseudo-label re-training + patch-level alignment, CamVid day -> dusk, from ImageNet (Tsai et
# al. ICCV 2019 Table 2 row Ps with patch alignment, 41.8 -> 44.2 on GTA5):
# ./camvid_day2dusk_lite0_ps.py plus the patch alignment of
# configs/patch_align/camvid_day2dusk_lite0.py (K = 50, 32 px patches, λd 0.01, λadv 0.0005;
# the other values PatchAlignment's defaults, as there) and its modes file.
_base_ = ['./camvid_day2dusk_lite0_ps.py']
model = dict(
    adaptations=dict(
        patch=dict(type='PatchAlignment',
                   modes_file='work_dirs/patch_modes/camvid_day2dusk_p32_k50.pth',
                   patch_size=32, num_modes=50, loss_weight_cluster=0.01,
                   loss_weight_adv=0.0005)))
