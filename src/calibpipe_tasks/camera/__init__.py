"""Camera calibration coefficients (UC-120-2.20) from pedestal and flat-field statistics.

Pure computation (numpy in, numpy out): the F-factor method with means and
variances (:mod:`.ffactor`), the outlier pixels and their reasons
(:mod:`.outliers`), the matching of pedestal and flat-field chunks
(:mod:`.chunks`) and the coefficients ctapipe's ``CameraCalibrator`` applies
(:mod:`.coefficients`).
"""
