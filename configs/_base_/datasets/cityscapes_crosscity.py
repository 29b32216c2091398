# Cityscapes train cities -> val cities (FCNs in the Wild, Hoffman et al. 2016, "Cityscapes
# train -> val"): source = the 2,975 labelled train images (18 cities), target = the 500 val
# images (3 other cities) without their labels, evaluation = the same val images with labels,
# 19 classes. All at 1024x512; evaluation upsamples the logits to the 2048x1024 labels.
# Pipelines, evaluation and loaders: ./cityscapes_1024x512.py.
_base_ = ['./cityscapes_1024x512.py']
source_train = dict(
    type='CityscapesDataset',
    data_root=_base_.cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
)
target_train = dict(data_prefix=dict(img_path='leftImg8bit/val'))
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
