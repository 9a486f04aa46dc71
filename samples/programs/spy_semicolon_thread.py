import threading, time, multiprocessing, hashlib, sys

def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x

def hasher():
    h = b"x"
    while True:
        h = hashlib.sha256(h).digest()

def sleeper():
    while True:
        time.sleep(0.5)

def child():
    while True:
        spin(100000)

if __name__ == "__main__":
    threading.Thread(target=hasher, name="hasher", daemon=True).start()
    threading.Thread(target=sleeper, name="sleeper;semi", daemon=True).start()
    p = multiprocessing.Process(target=child, daemon=True)
    p.start()
    t0 = time.time()
    while time.time() - t0 < float(sys.argv[1]):
        spin(200000)
    p.terminate()
