"""ANNarchy's extensions: ``from cajal.extensions.convolution import
Convolution`` where a script wrote ``from ANNarchy.extensions.convolution
import Convolution``."""
