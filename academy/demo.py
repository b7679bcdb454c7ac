def build_demo(seed: int) -> list[str]:
    raise NotImplementedError
