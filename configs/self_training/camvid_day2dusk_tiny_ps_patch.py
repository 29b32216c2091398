# Pseudo-label re-training + patch-level alignment on CamVid day -> dusk, on CPU (the CamVid
# counterpart of Tsai et al. ICCV 2019 Table 2, "Ps" with patch alignment; GTA5 figure 44.2):
# ./camvid_day2dusk_tiny_ps.py plus the patch alignment of
# configs/patch_align/camvid_day2dusk_tiny.py (K = 50, λd 0.01, λadv 0.0005, 16 px patches, the
# other values PatchAlignment's defaults as there). Differences: those of both parents.
#
# Modes file (the same as configs/patch_align/camvid_day2dusk_tiny.py):
#   python tools/build_patch_modes.py configs/self_training/camvid_day2dusk_tiny_ps_patch.py \
#       --out work_dirs/patch_modes/camvid_day2dusk_k50.pth
_base_ = ['./camvid_day2dusk_tiny_ps.py']
model = dict(
    adaptations=dict(
        patch=dict(type='PatchAlignment',
                   modes_file='work_dirs/patch_modes/camvid_day2dusk_k50.pth', patch_size=16,
                   num_modes=50, loss_weight_cluster=0.01, loss_weight_adv=0.0005)))
