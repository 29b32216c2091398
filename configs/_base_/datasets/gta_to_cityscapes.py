# GTA5 -> Cityscapes (AdaptSegNet, Tsai et al. CVPR 2018; patch alignment, Tsai et al. ICCV 2019;
# FCNs in the Wild, Hoffman et al. 2016). Source: the 24,966 GTA5 frames with labels converted
# to Cityscapes train ids (tools/dataset_converters/gta.py), resized to 1280x720. Target: the
# 2,975 Cityscapes train images, unlabelled, resized to 1024x512. Evaluation: the 500 Cityscapes
# val images, 19 classes, input resized to 1024x512; the segmentor upsamples the logits to the
# label's full 2048x1024 resolution before the arg-max (EncoderDecoder.postprocess_result), and
# IoUMetric logs the per-class IoU table. Data preparation: docs/data_preparation.md; other data
# locations: --cfg-options train_dataloader.dataset.source.data_root=... (and .target.,
# val_dataloader.dataset., test_dataloader.dataset.).
# Target, evaluation and loaders: ./cityscapes_1024x512.py.
_base_ = ['./cityscapes_1024x512.py']
gta_root = 'data/gta'
# AdaptSegNet resizes without keeping the aspect ratio and, by default, neither flips nor crops:
# the source pipeline of ./cityscapes_1024x512.py at 1280x720.
source_pipeline = [
    dict(step, scale=(1280, 720)) if step['type'] == 'Resize' else step
    for step in _base_.source_pipeline
]
source_train = dict(
    type='GTA5Dataset',
    data_root=gta_root,
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline=source_pipeline,
)
train_dataloader = dict(dataset=dict(source=source_train))
