"""SimPy processes of the modelled deployment. They only emit to the Record."""
