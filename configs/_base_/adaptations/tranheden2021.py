# DACS (Tranheden, Olsson, Pinto, Svensson, WACV 2021) and what builds on it, MIC's masked
# images and DAFormer's training strategies, as variables for the configs that use them
# (configs/dacs/). Only variables: a config lists this file among its bases and sets e.g.
# model.adaptations.dacs = {{_base_.dacs}}.
#
# DACS: the values of its paper and of DAFormer's configs/_base_/uda/dacs.py (Hoyer et al., CVPR
# 2022, which re-implements DACS in MMSeg): mean teacher α 0.99, pseudo-label confidence
# threshold 0.968, ClassMix of half the classes of each source image, colour jitter of strength
# 0.2 in 80 % of the iterations and Gaussian blur in 50 %, no pseudo-label rows left out.
dacs = dict(
    type='DACS',
    teacher=dict(type='EMATeacher', alpha=0.99),
    pseudo_threshold=0.968,
    pseudo_weight_ignore_top=0,
    pseudo_weight_ignore_bottom=0,
    color_jitter_strength=0.2,
    color_jitter_probability=0.2,
    blur=True,
)
# MIC (Hoyer, Dai, Wang, Van Gool, CVPR 2023) on top of DACS, as its final configs: block masks
# of 64 px, 70 % of the blocks masked, λ 1, the DACS teacher's pseudo labels and weights.
mic = dict(type='MaskedImageConsistency', mask_ratio=0.7, block_size=64, loss_weight=1.0)
dacs_mic = dict(dacs, masked_consistency=mic)
# DAFormer's training strategies (Hoyer, Dai, Van Gool, CVPR 2022; its final GTA5 -> Cityscapes
# config gta2cs_uda_warm_fdthings_rcs_croppl_a999_daformer_mitb5_s0.py): the DACS teacher at
# α 0.999 with the pseudo labels' top 15 and bottom 120 rows left out ("crop-pl", Cityscapes at
# 1024x512), the thing-class ImageNet feature distance (λ 0.005, ratio 0.75) and rare-class
# sampling (T 0.01, 3000 pixels, crop ratio 0.5, the GTA5 converter's label_stats.json).
dacs_daformer = dict(dacs, teacher=dict(type='EMATeacher', alpha=0.999),
                     pseudo_weight_ignore_top=15, pseudo_weight_ignore_bottom=120)
fd_things = dict(type='ImageNetFeatureDistance', loss_weight=0.005,
                 classes=[6, 7, 11, 12, 13, 14, 15, 16, 17, 18], scale_min_ratio=0.75)
rcs_gta = dict(stats_file='data/gta/labels/label_stats.json', class_temp=0.01, min_pixels=3000,
               min_crop_ratio=0.5)
# The same feature distance on CamVid's things (sign_symbol, car, pedestrian, bicyclist: those of
# DAFormer's Cityscapes things CamVid has).
fd_things_camvid = dict(fd_things, classes=[6, 8, 9, 10])
