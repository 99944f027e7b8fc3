print("coffred: not built yet")
