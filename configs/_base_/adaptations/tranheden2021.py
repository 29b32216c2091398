# DACS (Tranheden, Olsson, Pinto, Svensson, WACV 2021) as a variable for the configs that use it
# (configs/dacs/). Only variables: a config lists this file among its bases and sets
# model.adaptations.dacs = {{_base_.dacs}}.
#
# The values of DACS's paper and of DAFormer's configs/_base_/uda/dacs.py (Hoyer et al., CVPR
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
