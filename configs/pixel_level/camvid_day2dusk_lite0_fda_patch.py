# FDA + patch-level alignment, CamVid day -> dusk, from ImageNet (the CamVid counterpart of Tsai
# et al. ICCV 2019 Table 2 row Pi with patch alignment, 42.2 -> 44.9 on GTA5 with CyCADA images):
# configs/patch_align/camvid_day2dusk_lite0.py (K = 50, 32 px patches, λd 0.01, λadv 0.0005,
# 1000 source-only iterations) with the FDA day frames of ./camvid_day2dusk_lite0_fda.py seen by
# the segmentation loss, Ld and the patch discriminator's source side; the target side sees the
# dusk frames as they are. Modes file: that of configs/patch_align/camvid_day2dusk_lite0.py
# (the labels are the same). Differences: those of both parents.
_base_ = ['../patch_align/camvid_day2dusk_lite0.py', '../_base_/datasets/fda_pipelines.py']
train_dataloader = dict(dataset=dict(source=dict(pipeline={{_base_.camvid_fda_pipeline}})))
