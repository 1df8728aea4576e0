"""``python -m democity --out DIR [--seed 1] [--scale 1] [--variant demo]``: the city as import files."""

from democity.generator import main

if __name__ == "__main__":
    main()
