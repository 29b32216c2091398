# FCNs in the Wild GA+CA staged: global alignment first, then category-specific adaptation.
# The paper writes one joint objective (Eq. 1) but describes CA as acting on "the initially
# adapted space" of GA; this is that reading as a two-stage recipe (an option; the default recipe
# is gta2cs_vgg16_ga_ca.py, both from the start). Stage 1: gta2cs_vgg16_ga.py (from the
# source-only checkpoint); stage 2, this config: gta2cs_vgg16_ga_ca.py started from stage 1's
# final checkpoint (segmentor and domain classifier), CA from its first iteration:
#   python tools/train.py configs/source_only/gta2cs_vgg16.py
#   python tools/train.py configs/fcn_wild/gta2cs_vgg16_ga.py
#   python tools/train.py configs/fcn_wild/gta2cs_vgg16_ga_then_ca.py
_base_ = ['./gta2cs_vgg16_ga_ca.py']
load_from = 'work_dirs/gta2cs_vgg16_ga/iter_150000.pth'
