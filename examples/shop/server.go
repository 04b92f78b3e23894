package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/requestid"
)

// Item is an article for sale.
type Item struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Price int64  `json:"price"`
}

// Server holds the shop's state. It is safe for concurrent use.
type Server struct {
	log *slog.Logger

	mu     sync.Mutex
	items  map[int64]Item
	nextID int64
}

// NewServer returns an empty shop.
func NewServer(log *slog.Logger) *Server {
	return &Server{log: log, items: map[int64]Item{}, nextID: 1}
}

// Handler returns the shop's HTTP handler with its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.Handle("POST /api/v2/items", errors.Handler(s.createItem))
	mux.Handle("GET /api/v2/items/{id}", errors.Handler(s.getItem))

	rd := &errors.Renderer{Logger: s.log}
	return requestid.Handler(rd.Handler(errors.Recover(errors.WrapMux(mux))))
}

func (s *Server) createItem(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name  string `json:"name"`
		Price int64  `json:"price"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errors.BadRequest("the body is not valid JSON")
	}
	var fields []errors.FieldError
	if in.Name == "" || len(in.Name) > 100 {
		fields = append(fields, errors.BodyField("/name", "must be 1 to 100 characters"))
	}
	if in.Price < 0 {
		fields = append(fields, errors.BodyField("/price", "must be >= 0"))
	}
	if len(fields) > 0 {
		return errors.Validation("", fields...)
	}
	s.mu.Lock()
	it := Item{ID: s.nextID, Name: in.Name, Price: in.Price}
	s.items[it.ID] = it
	s.nextID++
	s.mu.Unlock()
	w.Header().Set("Location", "/api/v2/items/"+strconv.FormatInt(it.ID, 10))
	return writeJSON(w, http.StatusCreated, it)
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errors.NotFound("no item with that id")
	}
	s.mu.Lock()
	it, ok := s.items[id]
	s.mu.Unlock()
	if !ok {
		return errors.NotFound("no item with that id")
	}
	return writeJSON(w, http.StatusOK, it)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
