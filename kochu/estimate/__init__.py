"""kochu.estimate: true vs registered migration, calibration, backtests.

* :mod:`kochu.estimate.accounting` — net internal migration of first-level units from census
  stocks, vital rates and international migration (demographic accounting);
* :mod:`kochu.estimate.registration` — Bayesian model (emcee) of registration completeness by
  destination and of true flows, with the identifying assumptions spelled out;
* :mod:`kochu.estimate.targets`, :mod:`kochu.estimate.calibrate` — the calibration targets
  (each sourced) and the calibration of the simulation's parameters with the projection as the
  inner loop and the simulation as the final check (``kochu calibrate``);
* :mod:`kochu.estimate.simfit`, :mod:`kochu.estimate.simruns` — the fit on the agent-based
  simulation itself (the seed's facts as constraints), its runs on the ensemble machinery
  (Dask, replicate seeds with common random numbers, batched Jacobians, resumable run folders);
* :mod:`kochu.estimate.facts` — the seed's facts measured on a simulation run;
* :mod:`kochu.estimate.backtest` — persistence and linear-trend baselines, MAPE of shares;
* :mod:`kochu.estimate.report` — ``calibration/report.md``, ``fit.csv`` and plots.
"""
