// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A UART: the console of the payloads and of Linux's 8250 driver.
 * Transmission is instantaneous (each THR write goes straight to the host),
 * so the transmitter always reads as empty; reception is a 16-byte FIFO fed
 * from the host's stdin.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "bus.h"
#include "devices.h"

#define SERIAL_BASE	0x3f8
#define SERIAL_IRQ	4
#define FIFO_SIZE	16

/* Register offsets (DLAB=0 unless noted) and bits, per the 16550A data sheet. */
enum {
	UART_RBR_THR = 0,	/* DLAB=1: divisor latch low */
	UART_IER = 1,		/* DLAB=1: divisor latch high */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* transmitter holding register empty */
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0
#define FCR_FIFO_EN	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define MCR_OUT2	0x08
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_DCD_DSR_CTS	0xb0

static struct serial {
	pthread_mutex_t lock;
	struct vm *vm;
	int out_fd;
	u8 ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;	/* THRE interrupt not yet read from IIR */
	u8 rx[FIFO_SIZE];
	unsigned int rx_head, rx_len;
	int irq_level;
} uart = { .lock = PTHREAD_MUTEX_INITIALIZER };

static u8 serial_iir(struct serial *s)
{
	u8 fifo = (s->fcr & FCR_FIFO_EN) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_len)
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

/* The IRQ line follows IIR; OUT2 gates it onto the bus, as on a PC. */
static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & IIR_NO_INT) && (s->mcr & MCR_OUT2);

	if (level != s->irq_level) {
		s->irq_level = level;
		s->vm->accel_ops->irq_line(s->vm, SERIAL_IRQ, level);
	}
}

static void serial_transmit(struct serial *s, u8 c)
{
	if (s->mcr & MCR_LOOP) {
		if (s->rx_len < FIFO_SIZE)
			s->rx[(s->rx_head + s->rx_len++) % FIFO_SIZE] = c;
	} else {
		/* A closed or full stdout must not stop the guest. */
		while (write(s->out_fd, &c, 1) < 0 && errno == EINTR)
			;
	}
	s->thri_pending = true;
}

static u8 serial_receive(struct serial *s)
{
	u8 c;

	if (!s->rx_len)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % FIFO_SIZE;
	s->rx_len--;
	return c;
}

static u8 serial_read(struct serial *s, unsigned int reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	u8 v;

	switch (reg) {
	case UART_RBR_THR:
		return dlab ? s->dll : serial_receive(s);
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR_FCR:
		v = serial_iir(s);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			s->thri_pending = false;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
	case UART_MSR:
		return (s->mcr & MCR_LOOP) ? (s->mcr & 0x0f) << 4 :
					     MSR_DCD_DSR_CTS;
	default:
		return s->scr;
	}
}

static void serial_write(struct serial *s, unsigned int reg, u8 v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			s->dll = v;
		else
			serial_transmit(s, v);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI with an empty THR raises it at once. */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		s->fcr = v & 0xc9;
		if (v & FCR_CLEAR_RX)
			s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
}

static void serial_access(struct bus_dev *dev, u64 offset, void *data,
			  unsigned int len, bool is_write)
{
	struct serial *s = dev->priv;
	u8 *p = data;

	pthread_mutex_lock(&s->lock);
	if (is_write)
		serial_write(s, offset, p[0]);
	else
		p[0] = serial_read(s, offset);
	/* Wider accesses touch only the addressed register, as on an ISA bus. */
	if (!is_write && len > 1)
		memset(p + 1, 0xff, len - 1);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_input(const u8 *buf, size_t len)
{
	struct serial *s = &uart;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < len && s->rx_len < FIFO_SIZE)
		s->rx[(s->rx_head + s->rx_len++) % FIFO_SIZE] = buf[n++];
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

bool serial_input_room(void)
{
	bool room;

	pthread_mutex_lock(&uart.lock);
	room = uart.rx_len < FIFO_SIZE;
	pthread_mutex_unlock(&uart.lock);
	return room;
}

static struct bus_dev serial_dev = {
	.name = "serial",
	.base = SERIAL_BASE,
	.len = 8,
	.access = serial_access,
	.priv = &uart,
};

int serial_init(struct vm *vm, int out_fd)
{
	uart.vm = vm;
	uart.out_fd = out_fd;
	return bus_register(BUS_PIO, &serial_dev);
}
