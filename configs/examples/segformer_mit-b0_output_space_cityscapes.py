# Mixing output-space adaptation into a stock MMSeg config: MMSeg's own SegFormer-B0 Cityscapes
# config, unchanged, wrapped in UDASegmentor. Its Cityscapes training set is the labelled source;
# the target is any set of unlabelled images in the Cityscapes folder layout (another city,
# season or camera) under `target_root`. The same lines work for any EncoderDecoder config
# (DeepLabV3+, PSPNet, ...).
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py']
custom_imports = dict(imports=['mmseg_uda'], allow_failed_imports=False)
target_root = 'data/target_city'

model = dict(
    _delete_=True,
    type='UDASegmentor',
    segmentor={{_base_.model}},
    warmup_iters=10000,
    adaptations=dict(
        output=dict(type='OutputSpaceAdaptation', levels=('logits', ), loss_weights=(0.001, ))),
)
optim_wrapper = dict(
    _delete_=True,
    constructor='UDAOptimWrapperConstructor',
    generator={{_base_.optim_wrapper}},
    discriminator=dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', find_unused_parameters=True)
target_pipeline = [  # the source augmentation without labels
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='UDADataset',
        source={{_base_.train_dataloader.dataset}},
        target=dict(
            type='CityscapesDataset',
            data_root=target_root,
            data_prefix=dict(img_path='leftImg8bit/train'),
            pipeline=target_pipeline),
    ))
# decode_head.num_classes and class names against the datasets, before the first iteration
default_hooks = dict(data_checks=dict(type='DataChecksHook'))
