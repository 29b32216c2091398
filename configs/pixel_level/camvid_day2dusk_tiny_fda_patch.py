# FDA + patch-level alignment on real data, CamVid day -> dusk, on CPU (Tsai et al. ICCV 2019
# Tables 2-3 row "Pi" with patch alignment, there with CyCADA images: 42.2 -> 44.9 mIoU on GTA5 ->
# Cityscapes): configs/patch_align/camvid_day2dusk_tiny.py (K = 50, λd 0.01, λadv 0.0005, 16 px
# patches, 200 source-only iterations) with the FDA source images of ./camvid_day2dusk_tiny_fda.py
# (β = 0.01, a random dusk train frame each): the segmentation loss, Ld and the patch
# discriminator's source side all see the FDA images; the target side sees the dusk frames as
# they are. Differences from the published recipe: those of ./camvid_day2dusk_tiny_fda.py and
# configs/patch_align/camvid_day2dusk_tiny.py; FDA instead of CyCADA and the FDA images replace the
# day frames instead of being added to them (the frame each iteration draws is new anyway).
#
# Modes file: the same as configs/patch_align/camvid_day2dusk_tiny.py (the labels are the same):
#   python tools/build_patch_modes.py configs/patch_align/camvid_day2dusk_tiny.py \
#       --out work_dirs/patch_modes/camvid_day2dusk_k50.pth
_base_ = ['../patch_align/camvid_day2dusk_tiny.py', '../_base_/datasets/fda_pipelines.py']
train_dataloader = dict(dataset=dict(source=dict(pipeline={{_base_.camvid_fda_pipeline}})))
