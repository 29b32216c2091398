# The optimisation of ./plain/daformer_adamw_40k.py (DAFormer's, described there) for the
# adaptation configs: its AdamW trains UDASegmentor.generator; discriminators, when a config adds
# an adversarial adaptation, get Adam lr 1e-4, betas (0.9, 0.99), as the AdaptSegNet configs.
_base_ = ['./plain/daformer_adamw_40k.py', './discriminator_adam.py']
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     generator={{_base_.optim_wrapper}},
                     discriminator={{_base_.discriminator_adam}})
