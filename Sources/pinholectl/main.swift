print("pinholectl")
