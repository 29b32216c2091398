# The optimisation of ./plain/adaptsegnet_150k.py (AdaptSegNet's, described there) for the
# adaptation configs: its SGD trains UDASegmentor.generator (the segmentor and the adaptations'
# heads); the discriminators get Adam lr 1e-4, betas (0.9, 0.99), as in AdaptSegNet. mmengine
# applies the scheduler list (the same poly decay) to both optimizer wrappers.
_base_ = ['./plain/adaptsegnet_150k.py', './discriminator_adam.py']
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     generator={{_base_.optim_wrapper}},
                     discriminator={{_base_.discriminator_adam}})
