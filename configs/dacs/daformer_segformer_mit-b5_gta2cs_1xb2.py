# DAFormer's training strategies on MMSeg's SegFormer MiT-B5, GTA5 -> Cityscapes, one GPU, batch
# 2 (source) + 2 (target), 512x512 crops, 40k iterations:
#   python tools/dataset_converters/gta.py data/gta   # writes data/gta/labels/label_stats.json
#   python tools/train.py configs/dacs/daformer_segformer_mit-b5_gta2cs_1xb2.py
# Target: DAFormer (Hoyer, Dai, Van Gool, CVPR 2022) Table 5, its last SegFormer row (DACS with
# the teacher at α 0.999, thing-class ImageNet feature distance, rare-class sampling at T 0.01,
# pseudo-label crop and learning-rate warm-up on SegFormer's own MLP head: experiments.py id 5,
# `('segformer', 'mitb5', 'dacs_a999_fdthings', 0.01, True)`); the figure is in the paper's table,
# not quoted here. DAFormer's 68.3 mIoU needs its own decoder (not in this package).
# From DAFormer's configs: ./dacs_segformer_mit-b5_gta2cs_1xb2.py (AdamW 6e-5 with the heads at
# 10x, linear warm-up over 1500 iterations and linear decay, GTA5 at 1280x720 and Cityscapes at
# 1024x512 with random 512x512 crops, source crops of more than 75 % one class re-drawn, and
# flips) with the strategies of ../_base_/adaptations/tranheden2021.py (dacs_daformer, fd_things,
# rcs_gta).
# Differences: ClassMix classes drawn per image (DAFormer: from the batch, see DACS); the source,
# feature-distance and mixed losses take one backward (DAFormer: three; the same gradient);
# a batch without any thing-class cell gives a zero feature distance (DAFormer: NaN). Not trained
# here (no GPU, no GTA5 / Cityscapes).
_base_ = ['./dacs_segformer_mit-b5_gta2cs_1xb2.py']
train_dataloader = dict(dataset=dict(rare_class_sampling={{_base_.rcs_gta}}))
model = dict(adaptations=dict(dacs={{_base_.dacs_daformer}}, fd={{_base_.fd_things}}))
