from .adversarial_loss import (AdversarialLoss, DomainConfusionLoss, adversarial_loss,
                               domain_confusion_loss)
from .constrained_mil import (ConstrainedMILLoss, LatentSolution, constrained_mil_loss,
                              scale_class_gradients, solve_latent_distribution)

__all__ = [
    'AdversarialLoss', 'DomainConfusionLoss', 'adversarial_loss', 'domain_confusion_loss',
    'ConstrainedMILLoss', 'LatentSolution', 'constrained_mil_loss', 'scale_class_gradients',
    'solve_latent_distribution'
]
