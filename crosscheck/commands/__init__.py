"""The back-ends of the commands, each named after the command it serves.

Map:

- ``check_param`` — ``check-param``: sensitivity and order of blow-up per path and regime.
- ``param_input`` — the validated inputs of ``check-param``.
- ``gate_check`` — ``check-param --gate``: E (d_p h)² as the mean memory E λ → 1.
- ``check_claim`` — ``check-claim``: is a claimed closed form the derived moment?
- ``hessian`` — ``hessian``: the Hessian at the optimum by every route.
- ``teacher_student`` — ``teacher-student``: LRU vs dense RNN learning a teacher (Fig. 3A).
- ``gru_gates`` — ``gru-gates``: the constant-gate GRU prediction against simulated gates.
- ``signal_prop`` — ``signal-prop``: signal propagation against the single-unit theory.
"""
